import { describe, expect, it } from 'vitest';
import { exampleShapeFor, formatShape } from './shapes.js';

describe('exampleShapeFor', () => {
  it('reshapes by element count, and refuses a count that differs', () => {
    expect(exampleShapeFor([28, 28, 1], [784])).toEqual([28, 28, 1]);
    expect(exampleShapeFor([784], [28, 28, 1])).toEqual([784]);
    expect(exampleShapeFor([784], [784])).toEqual([784]);
    expect(exampleShapeFor([28, 28, 1], [783])).toBeUndefined();
  });

  it('fills unknown dimensions from the data where ranks agree, or from the count when one is unknown', () => {
    expect(exampleShapeFor([null, null, 1], [28, 28, 1])).toEqual([28, 28, 1]);
    expect(exampleShapeFor([null, 28, 1], [784])).toEqual([28, 28, 1]);
    expect(exampleShapeFor([null, 5], [784])).toBeUndefined();
    expect(exampleShapeFor([null, null, 1], [784])).toBeUndefined();
  });

  it('formats unknown dimensions as ?', () => {
    expect(formatShape([null, 28, 1])).toBe('[?, 28, 1]');
  });
});

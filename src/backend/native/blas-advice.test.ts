import { describe, expect, it } from 'vitest';
import { blasAdvice, openblasInstallHint } from './blas-advice.js';

describe('blasAdvice', () => {
  it('says nothing for OpenBLAS builds and for the portable AVX-512 kernel (as fast as OpenBLAS here)', () => {
    expect(blasAdvice({ blas: 'openblas 0.3.21', blasCore: 'SkylakeX' })).toBeUndefined();
    expect(blasAdvice({ blas: 'portable', blasCore: 'avx512' })).toBeUndefined();
  });

  it('advises OpenBLAS, and how to get and link it, for the slower portable kernels', () => {
    const avx2 = blasAdvice({ blas: 'portable', blasCore: 'avx2' }, 'linux')!;
    expect(avx2).toMatch(/AVX2 kernel.*up to ~2x faster/);
    expect(avx2).toContain('sudo apt-get install libopenblas-dev');
    expect(avx2).toContain('npm rebuild condense');
    const generic = blasAdvice({ blas: 'portable', blasCore: 'generic' }, 'darwin')!;
    expect(generic).toMatch(/plain C kernel here \(generic\); OpenBLAS is several times faster/);
    expect(generic).toContain(openblasInstallHint('darwin'));
    expect(generic).not.toContain('apt-get');
  });
});

// A TF.js GraphModel written the way tensorflowjs_converter writes a SavedModel: a GraphDef in
// model.json (fused convolution and matrix-product ops, attributes base64-encoded) and the weights
// in a shard, an int32 shape constant among them. There is no Python converter on these machines, so
// a trained LayersModel is translated op by op (test/graph-input.test.ts checks both predict alike).
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const b64 = (text) => Buffer.from(text).toString('base64');
const dims = (shape) => ({ dim: shape.map((size) => ({ size: String(size) })) });
const ints = (values) => ({ list: { i: values.map(String) } });
const FLOAT = { type: 'DT_FLOAT' };

/**
 * Writes a trained Sequential model of Conv2D (valid padding, relu or linear), MaxPooling2D,
 * Flatten and Dense layers (relu, linear or a final softmax) as a graph model in `dir`.
 */
export function writeConvertedGraphModel(model, dir) {
  const nodes = [{ name: 'input', op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: dims([-1, ...model.inputs[0].shape.slice(1)]) } } }];
  const weights = [];
  const constant = (name, tensor) => {
    weights.push({ name, tensor });
    const dtype = tensor.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    nodes.push({ name, op: 'Const', attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: dims(tensor.shape) } } } });
  };
  let last = 'input';
  const add = (node) => {
    nodes.push(node);
    last = node.name;
  };
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const base = `StatefulPartitionedCall/sequential/${layer.name}`;
    const [kernel, bias] = layer.getWeights();
    const fused = (activation) => ({ list: { s: [b64('BiasAdd'), ...(activation === 'relu' ? [b64('Relu')] : [])] } });
    if (layer.getClassName() === 'Conv2D') {
      constant(`${base}/Conv2D/ReadVariableOp`, kernel);
      constant(`${base}/BiasAdd/ReadVariableOp`, bias);
      add({ name: `${base}/Relu`, op: '_FusedConv2D', input: [last, `${base}/Conv2D/ReadVariableOp`, `${base}/BiasAdd/ReadVariableOp`], attr: {
        T: FLOAT, num_args: { i: '1' }, strides: ints([1, 1, 1, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') },
        dilations: ints([1, 1, 1, 1]), fused_ops: fused(config.activation), epsilon: { f: 0 },
      } });
    } else if (layer.getClassName() === 'MaxPooling2D') {
      const size = config.poolSize;
      add({ name: `${base}/MaxPool`, op: 'MaxPool', input: [last], attr: {
        T: FLOAT, ksize: ints([1, ...size, 1]), strides: ints([1, ...config.strides, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') },
      } });
    } else if (layer.getClassName() === 'Flatten') {
      constant(`${base}/Const`, tf.tensor1d([-1, layer.outputShape.at(-1)], 'int32'));
      add({ name: `${base}/Reshape`, op: 'Reshape', input: [last, `${base}/Const`], attr: { T: FLOAT, Tshape: { type: 'DT_INT32' } } });
    } else if (layer.getClassName() === 'Dense') {
      constant(`${base}/MatMul/ReadVariableOp`, kernel);
      constant(`${base}/BiasAdd/ReadVariableOp`, bias);
      add({ name: `${base}/BiasAdd`, op: '_FusedMatMul', input: [last, `${base}/MatMul/ReadVariableOp`, `${base}/BiasAdd/ReadVariableOp`], attr: {
        T: FLOAT, num_args: { i: '1' }, transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: fused(config.activation), epsilon: { f: 0 },
      } });
      if (config.activation === 'softmax') add({ name: `${base}/Softmax`, op: 'Softmax', input: [last], attr: { T: FLOAT } });
    } else {
      throw new Error(`writeConvertedGraphModel: no translation for ${layer.getClassName()}`);
    }
  }
  add({ name: 'Identity', op: 'Identity', input: [last], attr: { T: FLOAT } });
  mkdirSync(dir, { recursive: true });
  const bytes = Buffer.concat(weights.map((w) => Buffer.from(w.tensor.dataSync().buffer)));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), bytes);
  writeFileSync(join(dir, 'model.json'), JSON.stringify({
    format: 'graph-model', generatedBy: '2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0 (test translation)',
    modelTopology: { node: nodes, library: {}, versions: { producer: 1482 } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weights.map((w) => ({ name: w.name, shape: w.tensor.shape, dtype: w.tensor.dtype })) }],
    signature: {
      inputs: { 'input:0': { name: 'input:0', dtype: 'DT_FLOAT', tensorShape: dims([-1, ...model.inputs[0].shape.slice(1)]) } },
      outputs: { 'Identity:0': { name: 'Identity:0', dtype: 'DT_FLOAT', tensorShape: dims([-1, model.outputs[0].shape.at(-1)]) } },
    },
  }));
}

/** A small trained-style CNN for 28×28×1 digits: conv(4, relu) → pool → conv(8, relu) → flatten → dense(32, relu) → dense(10, softmax). */
export function smallCnn(seed = 1) {
  const init = (s) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv1', kernelInitializer: init(1) }),
    tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
    tf.layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'conv2', kernelInitializer: init(2) }),
    tf.layers.flatten({ name: 'flatten' }),
    tf.layers.dense({ units: 32, activation: 'relu', name: 'fc1', kernelInitializer: init(3) }),
    tf.layers.dense({ units: 10, activation: 'softmax', name: 'output', kernelInitializer: init(4) }),
  ] });
}

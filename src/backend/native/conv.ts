import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import type { ConvParams } from './addon.js';
import { applyBiasActivation } from './matmul.js';
import {
  addon, allFloat32, cpuFallback, f32, nativeKernel, output, sizeOf, type KernelArgs, uninitializedF32,
} from './util.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: Rounding;
  inputShape?: Shape4;
  filterShape?: Shape4;
  activation?: string;
  leakyreluAlpha?: number;
  filterSize?: number | [number, number];
}

/** The addon's conv geometry from TF.js's conv info. */
export function convParams(info: tf.backend_util.Conv2DInfo): ConvParams {
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight,
    info.outWidth, info.outChannels, info.filterHeight, info.filterWidth, info.strideHeight,
    info.strideWidth, info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left];
}

function attrsOf(args: KernelArgs): ConvAttrs {
  return (args.attrs ?? {}) as unknown as ConvAttrs;
}

/** NHWC conv info, or undefined for layouts the addon does not take. */
function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs,
  dilations: number | [number, number]): tf.backend_util.Conv2DInfo | undefined {
  if (xShape.length !== 4 || filterShape.length !== 4) return undefined;
  if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') return undefined;
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, a.strides,
    dilations, a.pad, a.dimRoundingMode, false, 'channelsLast');
}

function conv2dForward(args: KernelArgs, kernel: 'Conv2D' | 'FusedConv2D'): TensorInfo | TensorInfo[] {
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const a = attrsOf(args);
  const info = x && filter && allFloat32(x, filter)
    ? convInfo(x.shape, filter.shape, a, a.dilations ?? 1) : undefined;
  if (!x || !filter || !info) return cpuFallback(kernel, args);
  // the GEMM (beta 0) writes every element unless the reduction is empty
  const y = info.inChannels > 0 ? uninitializedF32(sizeOf(info.outShape)) : new Float32Array(sizeOf(info.outShape));
  if (y.length > 0) addon().conv2d(f32(args.backend, x), f32(args.backend, filter), y, convParams(info));
  const out = output(args.backend, info.outShape.slice(), y);
  if (kernel === 'Conv2D') return out;
  return applyBiasActivation(args.backend, out, bias, a.activation, a.leakyreluAlpha,
    preluActivationWeights);
}

function conv2dBackpropInput(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { dy, filter } = args.inputs;
  const a = attrsOf(args);
  const info = dy && filter && allFloat32(dy, filter) && a.inputShape
    ? convInfo(a.inputShape, filter.shape, a, 1) : undefined;
  if (!dy || !filter || !info) return cpuFallback('Conv2DBackpropInput', args);
  const dx = info.outChannels > 0 ? uninitializedF32(sizeOf(info.inShape)) : new Float32Array(sizeOf(info.inShape));
  if (dx.length > 0) addon().conv2dBackpropInput(f32(args.backend, dy), f32(args.backend, filter), dx, convParams(info));
  return output(args.backend, info.inShape.slice(), dx);
}

function conv2dBackpropFilter(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, dy } = args.inputs;
  const a = attrsOf(args);
  const info = x && dy && allFloat32(x, dy) && a.filterShape
    ? convInfo(x.shape, a.filterShape, a, 1) : undefined;
  if (!x || !dy || !info) return cpuFallback('Conv2DBackpropFilter', args);
  const dw = info.batchSize * info.outHeight * info.outWidth > 0 ? uninitializedF32(sizeOf(info.filterShape)) : new Float32Array(sizeOf(info.filterShape));
  if (dw.length > 0) addon().conv2dBackpropFilter(f32(args.backend, x), f32(args.backend, dy), dw, convParams(info));
  return output(args.backend, info.filterShape.slice(), dw);
}

function poolInfo(xShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo | undefined {
  if (xShape.length !== 4 || a.filterSize === undefined) return undefined;
  return tf.backend_util.computePool2DInfo(xShape as Shape4, a.filterSize, a.strides, 1, a.pad,
    a.dimRoundingMode);
}

function pool(args: KernelArgs, kind: 'MaxPool' | 'AvgPool'): TensorInfo | TensorInfo[] {
  const { x } = args.inputs;
  const info = x && x.dtype === 'float32' ? poolInfo(x.shape, attrsOf(args)) : undefined;
  if (!x || !info) return cpuFallback(kind, args);
  const y = uninitializedF32(sizeOf(info.outShape));
  if (y.length > 0) addon().pool(f32(args.backend, x), y, convParams(info), kind === 'AvgPool' ? 1 : 0);
  return output(args.backend, info.outShape.slice(), y);
}

function maxPoolGrad(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { dy, input } = args.inputs;
  const info = dy && input && allFloat32(dy, input) ? poolInfo(input.shape, attrsOf(args)) : undefined;
  if (!dy || !input || !info) return cpuFallback('MaxPoolGrad', args);
  const dx = uninitializedF32(sizeOf(input.shape)); // zeroed by the kernel itself
  if (dx.length > 0) addon().maxPoolGrad(f32(args.backend, input), f32(args.backend, dy), dx, convParams(info));
  return output(args.backend, input.shape.slice(), dx);
}

/** Kernel configs of the NHWC convolution and pooling kernels (im2col + GEMM). */
export function convKernels(): KernelConfig[] {
  return [
    nativeKernel('Conv2D', (args) => conv2dForward(args, 'Conv2D')),
    nativeKernel('FusedConv2D', (args) => conv2dForward(args, 'FusedConv2D')),
    nativeKernel('Conv2DBackpropInput', conv2dBackpropInput),
    nativeKernel('Conv2DBackpropFilter', conv2dBackpropFilter),
    nativeKernel('MaxPool', (args) => pool(args, 'MaxPool')),
    nativeKernel('AvgPool', (args) => pool(args, 'AvgPool')),
    nativeKernel('MaxPoolGrad', maxPoolGrad),
  ];
}

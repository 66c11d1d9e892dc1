import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { convParams } from './conv.js';
import { applyBiasActivation } from './matmul.js';
import {
  addon, allFloat32, cpuFallback, f32, nativeKernel, output, sizeOf, type KernelArgs, uninitializedF32,
} from './util.js';

type Shape4 = [number, number, number, number];

interface DepthwiseAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: Shape4;
  filterShape?: Shape4;
  activation?: string;
  leakyreluAlpha?: number;
}

/** Depthwise conv info (NHWC only), or undefined when the addon does not take the case. */
function info(xShape: number[] | undefined, filterShape: number[] | undefined,
  a: DepthwiseAttrs): tf.backend_util.Conv2DInfo | undefined {
  if (!xShape || !filterShape || xShape.length !== 4 || filterShape.length !== 4) return undefined;
  if (a.dataFormat !== undefined && a.dataFormat !== 'NHWC') return undefined;
  const dilations = a.dilations ?? 1;
  if (!tf.backend_util.eitherStridesOrDilationsAreOne(a.strides, dilations)) return undefined;
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, a.strides,
    dilations, a.pad, a.dimRoundingMode, true, 'channelsLast');
}

function forward(args: KernelArgs, kernel: 'DepthwiseConv2dNative' | 'FusedDepthwiseConv2D'): TensorInfo | TensorInfo[] {
  const { x, filter, bias, preluActivationWeights } = args.inputs;
  const a = (args.attrs ?? {}) as unknown as DepthwiseAttrs;
  const ci = x && filter && allFloat32(x, filter) ? info(x.shape, filter.shape, a) : undefined;
  if (!x || !filter || !ci) return cpuFallback(kernel, args);
  const y = uninitializedF32(sizeOf(ci.outShape)); // the kernel writes every element
  if (y.length > 0) addon().depthwiseConv2d(f32(args.backend, x), f32(args.backend, filter), y, convParams(ci));
  const out = output(args.backend, ci.outShape.slice(), y);
  if (kernel === 'DepthwiseConv2dNative') return out;
  return applyBiasActivation(args.backend, out, bias, a.activation, a.leakyreluAlpha, preluActivationWeights);
}

function backpropInput(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { dy, filter } = args.inputs;
  const a = (args.attrs ?? {}) as unknown as DepthwiseAttrs;
  const ci = dy && filter && allFloat32(dy, filter) ? info(a.inputShape, filter.shape, a) : undefined;
  if (!dy || !filter || !ci) return cpuFallback('DepthwiseConv2dNativeBackpropInput', args);
  const dx = uninitializedF32(sizeOf(ci.inShape)); // the kernel writes every element
  if (dx.length > 0) addon().depthwiseConv2dBackpropInput(f32(args.backend, dy), f32(args.backend, filter), dx, convParams(ci));
  return output(args.backend, ci.inShape.slice(), dx);
}

function backpropFilter(args: KernelArgs): TensorInfo | TensorInfo[] {
  const { x, dy } = args.inputs;
  const a = (args.attrs ?? {}) as unknown as DepthwiseAttrs;
  const ci = x && dy && allFloat32(x, dy) ? info(x.shape, a.filterShape, a) : undefined;
  if (!x || !dy || !ci || !a.filterShape) return cpuFallback('DepthwiseConv2dNativeBackpropFilter', args);
  const dw = new Float32Array(sizeOf(a.filterShape));
  if (dw.length > 0) addon().depthwiseConv2dBackpropFilter(f32(args.backend, x), f32(args.backend, dy), dw, convParams(ci));
  return output(args.backend, a.filterShape.slice(), dw);
}

/** Kernel configs of the depthwise convolution (plain and fused) and its gradients. */
export function depthwiseKernels(): KernelConfig[] {
  return [
    nativeKernel('DepthwiseConv2dNative', (args) => forward(args, 'DepthwiseConv2dNative')),
    nativeKernel('FusedDepthwiseConv2D', (args) => forward(args, 'FusedDepthwiseConv2D')),
    nativeKernel('DepthwiseConv2dNativeBackpropInput', backpropInput),
    nativeKernel('DepthwiseConv2dNativeBackpropFilter', backpropFilter),
  ];
}

import type * as tf from '@tensorflow/tfjs';

/** Writes a trained Sequential model of Conv2D, MaxPooling2D, Flatten and Dense layers as a converter-style graph model in `dir`. */
export function writeConvertedGraphModel(model: tf.LayersModel, dir: string): void;
/** A small CNN for 28×28×1 digits: conv(4) → pool → conv(8) → flatten → dense(32) → dense(10, softmax). */
export function smallCnn(seed?: number): tf.Sequential;

import * as tf from '@tensorflow/tfjs';

/** Smallest probability fed to log, so confident softmax outputs don't give -Infinity. */
const EPSILON = 1e-7;

/** Softmax of log-probabilities over a temperature: softmax(z/T) from p = softmax(z). */
function softenProbabilities(probs: tf.Tensor, temperature: number): tf.Tensor {
  return tf.tidy(() => tf.softmax(tf.div(tf.log(tf.clipByValue(probs, EPSILON, 1)), temperature)));
}

/**
 * Knowledge-distillation loss (Hinton et al., 2015), averaged over the batch:
 * alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha) · CE(labels, student).
 * Both models output probabilities; logits are recovered as log p (softmax is shift-invariant).
 */
export function distillationLoss(
  teacherProbs: tf.Tensor,
  studentProbs: tf.Tensor,
  oneHotLabels: tf.Tensor,
  temperature: number,
  alpha: number,
): tf.Scalar {
  return tf.tidy(() => {
    const soft = softenProbabilities(teacherProbs, temperature);
    const studentLogSoft = tf.logSoftmax(tf.div(tf.log(tf.clipByValue(studentProbs, EPSILON, 1)), temperature));
    const kl = tf.sum(tf.mul(soft, tf.sub(tf.log(tf.clipByValue(soft, EPSILON, 1)), studentLogSoft)), -1);
    const ce = crossEntropy(oneHotLabels, studentProbs);
    return tf.add(tf.mul(alpha * temperature * temperature, tf.mean(kl)), tf.mul(1 - alpha, ce)) as tf.Scalar;
  });
}

/** Mean categorical cross-entropy of probabilities against one-hot labels. */
export function crossEntropy(oneHotLabels: tf.Tensor, probs: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHotLabels, tf.log(tf.clipByValue(probs, EPSILON, 1))), -1))) as tf.Scalar);
}

/**
 * Hidden-state loss: the weighted sum over pairs of the mean squared difference between a
 * student's (projected) hidden output and the teacher's.
 */
export function hiddenStateLoss(student: tf.Tensor[], teacher: tf.Tensor[], weights: number[]): tf.Scalar {
  return tf.tidy(() => student.reduce((sum: tf.Tensor, s, i) =>
    tf.add(sum, tf.mul(weights[i] ?? 1, tf.mean(tf.squaredDifference(s, teacher[i]!)))), tf.scalar(0)) as tf.Scalar);
}

import * as tf from '@tensorflow/tfjs';

/** Smallest probability fed to log, so confident softmax outputs don't give -Infinity. */
const EPSILON = 1e-7;

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
  return tf.tidy(() => logitDistillationLoss(logOf(teacherProbs), logOf(studentProbs), crossEntropy(oneHotLabels, studentProbs), temperature, alpha));
}

const logOf = (probs: tf.Tensor) => tf.log(tf.clipByValue(probs, EPSILON, 1));

/**
 * The same loss from class logits, with the hard-label loss of the student given:
 * alpha · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha) · hardLoss.
 */
export function logitDistillationLoss(
  teacherLogits: tf.Tensor,
  studentLogits: tf.Tensor,
  hardLoss: tf.Scalar,
  temperature: number,
  alpha: number,
): tf.Scalar {
  return tf.tidy(() => {
    const soft = tf.softmax(tf.div(teacherLogits, temperature));
    const studentLogSoft = tf.logSoftmax(tf.div(studentLogits, temperature));
    const kl = tf.sum(tf.mul(soft, tf.sub(tf.log(tf.clipByValue(soft, EPSILON, 1)), studentLogSoft)), -1);
    return tf.add(tf.mul(alpha * temperature * temperature, tf.mean(kl)), tf.mul(1 - alpha, hardLoss)) as tf.Scalar;
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

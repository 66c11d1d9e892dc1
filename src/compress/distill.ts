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

/**
 * Mean cosine distance 1 − cos(s, t) along the last axis (DistilBERT's hidden-state loss),
 * averaged over every other position; zero vectors count as orthogonal.
 */
export function cosineDistance(student: tf.Tensor, teacher: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(student, teacher), -1);
    const norms = tf.mul(tf.norm(student, 'euclidean', -1), tf.norm(teacher, 'euclidean', -1));
    return tf.mean(tf.sub(1, tf.div(dot, tf.maximum(norms, EPSILON)))) as tf.Scalar;
  });
}

/** The weighted sum over pairs of each pair's distance: mean squared error or {@link cosineDistance}. */
export function pairedLoss(student: tf.Tensor[], teacher: tf.Tensor[], pairs: Array<{ weight: number; loss: 'mse' | 'cosine' }>): tf.Scalar {
  return tf.tidy(() => student.reduce((sum: tf.Tensor, s, i) => {
    const { weight, loss } = pairs[i]!;
    const distance = loss === 'cosine' ? cosineDistance(s, teacher[i]!) : tf.mean(tf.squaredDifference(s, teacher[i]!));
    return tf.add(sum, tf.mul(weight, distance));
  }, tf.scalar(0)) as tf.Scalar);
}

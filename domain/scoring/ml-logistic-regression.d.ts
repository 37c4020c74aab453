// Types for the two-class logistic regression of ml-logistic-regression 2.0.0, which ships none. Batch
// gradient ascent on the log-likelihood: `numSteps` full-gradient steps of size `learningRate` (the
// gradient is a sum over rows, not a mean), weights starting at zero, no intercept of its own.
declare module 'ml-logistic-regression/src/logreg_2classes.js' {
  import type { Matrix } from 'ml-matrix';
  export default class LogisticRegressionTwoClasses {
    constructor(options?: { numSteps?: number; learningRate?: number; weights?: Matrix | null });
    numSteps: number;
    learningRate: number;
    /** 1 x columns. */
    weights: Matrix | null;
    train(features: Matrix, target: Matrix): void;
    testScores(features: Matrix): number[];
  }
}

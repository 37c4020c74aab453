// The strategies Overdue ships with. Validated when this module loads, so a broken shipped document
// fails the first test, the worker start and the workflow bundle, never a live case.
import cnConsumer from '../../strategies/cn-consumer.json';
import fastTest from '../../strategies/fast-test.json';
import usConsumer from '../../strategies/us-consumer.json';
import type { Strategy } from './types';
import { parseStrategy } from './validate';

export const defaultStrategies: Strategy[] = [cnConsumer, usConsumer, fastTest].map((doc) => parseStrategy(doc));

/** A shipped strategy by id ("cn-consumer", "us-consumer", "fast-test"), or undefined. */
export function findDefaultStrategy(id: string): Strategy | undefined {
  return defaultStrategies.find((s) => s.id === id);
}

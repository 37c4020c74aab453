// The closed word lists of a strategy document, written once: the validator checks against them and the
// JSON Schema publishes them, so the two cannot drift apart.
import type { MessageChannel, RulePackId, StageKind } from './types';

export const RULE_PACK_IDS: readonly RulePackId[] = ['cn', 'us-regf', 'uk-conc', 'sandbox'];
export const STAGE_KINDS: readonly StageKind[] = ['reminder', 'call', 'negotiation', 'legal'];
export const MESSAGE_CHANNELS: readonly MessageChannel[] = ['email', 'sms', 'letter'];
export const REMINDER_FROM = ['dueDate', 'stageEntry'] as const;
export const AFTER_HAND_OFF = ['end', 'awaitOutcome'] as const;

/** Strategy, segment, path and template ids: a letter or digit, then letters, digits, ".", "_" or "-"; at most 64. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

/** What parseDuration accepts: PnW, or PnDTnHnMnS with whole units and at most millisecond seconds. */
export const DURATION_PATTERN = '^(?:P\\d+W|P(?=\\d|T\\d)(?:\\d+D)?(?:T(?=\\d)(?:\\d+H)?(?:\\d+M)?(?:\\d+(?:\\.\\d{1,3})?S)?)?)$';

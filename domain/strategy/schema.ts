// A JSON Schema (2020-12) of the strategy document, for the docs, the OpenAPI spec and editors.
// It describes the shape; domain/strategy/validate.ts is the authority and also checks what a schema
// cannot say well (segment and challenger paths exist, the last segment is a catch-all, min <= max,
// durations fit in milliseconds).
import {
  AFTER_HAND_OFF,
  DURATION_PATTERN,
  ID_PATTERN,
  MESSAGE_CHANNELS,
  REMINDER_FROM,
  RULE_PACK_IDS,
} from './vocabulary';

const id = { type: 'string', pattern: ID_PATTERN } as const;
const duration = {
  type: 'string',
  pattern: DURATION_PATTERN,
  description: 'ISO-8601 duration: PnDTnHnMnS (seconds to the millisecond) or PnW, e.g. "P3D", "PT4H", "PT1.5S".',
} as const;
const positiveInteger = { type: 'integer', minimum: 1 } as const;
const nonNegativeInteger = { type: 'integer', minimum: 0 } as const;
const messageChannel = { enum: [...MESSAGE_CHANNELS] } as const;

export const strategyJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://overdue.dev/schemas/strategy.json',
  title: 'Overdue collection strategy',
  description:
    'Segments choose a treatment path per loan (first match wins; the last segment has no conditions). ' +
    'A path is an ordered ladder of stages.',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'version', 'name', 'rulePack', 'currency', 'segments', 'paths', 'hardshipPause'],
  properties: {
    $schema: { type: 'string' },
    id,
    version: positiveInteger,
    name: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string' },
    rulePack: { enum: [...RULE_PACK_IDS] },
    currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, e.g. "CNY".' },
    segments: { type: 'array', minItems: 1, items: { $ref: '#/$defs/segment' } },
    paths: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: ID_PATTERN },
      additionalProperties: { type: 'array', minItems: 1, items: { $ref: '#/$defs/stage' } },
    },
    hardshipPause: duration,
    minMessageGap: {
      ...duration,
      description:
        'Least time between two messages (email, SMS, letter) to one borrower, at most 8 days (the contact history the gate reads). ' +
        'A late case sends only the latest passed reminder step. Absent: no gap.',
    },
  },
  $defs: {
    duration,
    segment: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'when', 'path'],
      properties: {
        id,
        when: {
          type: 'object',
          additionalProperties: false,
          description: 'All conditions must hold; bounds are inclusive. Empty: matches every loan.',
          properties: {
            minDpd: nonNegativeInteger,
            maxDpd: nonNegativeInteger,
            minPastDueMinor: nonNegativeInteger,
            maxPastDueMinor: nonNegativeInteger,
            minRiskScore: { type: 'number' },
            maxRiskScore: { type: 'number' },
            minCurePropensity: { type: 'number', minimum: 0, maximum: 1, description: 'Predicted cure probability (active scorecard) at case open; a loan without a score does not match' },
            maxCurePropensity: { type: 'number', minimum: 0, maximum: 1 },
          },
        },
        path: id,
        challenger: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'percent'],
          properties: { path: id, percent: { type: 'integer', minimum: 0, maximum: 100 } },
        },
      },
    },
    stage: {
      oneOf: [
        { $ref: '#/$defs/reminderStage' },
        { $ref: '#/$defs/callStage' },
        { $ref: '#/$defs/negotiationStage' },
        { $ref: '#/$defs/legalStage' },
      ],
    },
    reminderStage: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'steps', 'waitAfterLast'],
      properties: {
        kind: { const: 'reminder' },
        steps: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['after', 'from', 'channel', 'template'],
            properties: {
              after: duration,
              from: { enum: [...REMINDER_FROM] },
              channel: messageChannel,
              template: id,
            },
          },
        },
        waitAfterLast: duration,
      },
    },
    callStage: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'attempts', 'retryAfter', 'outcomeTimeout'],
      properties: {
        kind: { const: 'call' },
        attempts: positiveInteger,
        retryAfter: duration,
        outcomeTimeout: duration,
        visit: {
          type: 'object',
          additionalProperties: false,
          required: ['afterUnansweredCalls', 'notice', 'outcomeTimeout'],
          properties: {
            afterUnansweredCalls: positiveInteger,
            minPastDueMinor: { type: 'integer', minimum: 0 },
            notice: {
              type: 'object',
              additionalProperties: false,
              required: ['channel', 'template'],
              properties: { channel: messageChannel, template: { type: 'string' } },
            },
            outcomeTimeout: duration,
          },
        },
      },
    },
    negotiationStage: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'offerTimeout', 'maxPromiseHorizon', 'grace', 'maxPlanInstallments'],
      properties: {
        kind: { const: 'negotiation' },
        offerTimeout: duration,
        maxPromiseHorizon: duration,
        grace: duration,
        maxPlanInstallments: { ...positiveInteger, description: 'The longest plan, in instalments.' },
        planInstallmentEvery: { ...duration, description: 'Spacing of the instalments in the plans the borrower\'s page offers; absent: P30D.' },
        minPlanInstallmentMinor: {
          ...nonNegativeInteger,
          description: 'The smallest instalment the proposed plan asks for, in minor units of the strategy\'s currency (fewer instalments instead; a past-due amount below it is one instalment). Absent or 0: no floor.',
        },
        maxPlanDiscountPercent: {
          type: 'integer',
          minimum: 0,
          maximum: 100,
          description: 'The largest discount on the past-due amount the proposed plan may carry, in whole percent. Offered only to a borrower unlikely to cure who cannot afford the past-due amount within maxPlanInstallments. Absent or 0: no discount.',
        },
      },
    },
    legalStage: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'finalDemand', 'waitingPeriod', 'afterHandOff'],
      properties: {
        kind: { const: 'legal' },
        finalDemand: {
          type: 'object',
          additionalProperties: false,
          required: ['channel', 'template'],
          properties: { channel: messageChannel, template: id },
        },
        waitingPeriod: duration,
        afterHandOff: { enum: [...AFTER_HAND_OFF] },
        outcomeTimeout: duration,
      },
    },
  },
} as const;

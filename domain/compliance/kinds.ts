// What a contact is, as the dispute and cease rules read it. One place decides it, from the template, so
// the workflow that plans, the gate that sends, the auditor's report and the tests all classify a message
// the same way. Anything not named here is collection: a new template has to be argued into an exemption.
import type { ContactKind } from './types';

/**
 * Which stops each kind passes. The readings are the conservative ones:
 * - A dispute stops collection until it is resolved (Reg F 1006.38(d)(2); CONC 7.14, suspend recovery while
 *   a query is investigated). Only disclosures the law itself requires may go out meanwhile: the
 *   validation notice (1006.34) and the answer to the dispute (1006.38(d)(2)(i), verification).
 * - A cease request (Reg F 1006.6(c)(1)) ends all communication except what 1006.6(c)(2) allows: that
 *   collection efforts stop, that the collector may invoke specified remedies, or that it intends to
 *   invoke a specific one. Required disclosures are not among them, so they stop too.
 * - Everything else is collection, including a final demand and a forbearance offer: both ask for payment.
 */
export const KIND_PASSES: Readonly<Record<ContactKind, { dispute: boolean; cease: boolean }>> = {
  collection: { dispute: false, cease: false },
  required_disclosure: { dispute: true, cease: false },
  cease_permitted: { dispute: false, cease: true },
};

/** Templates that are not collection, with the provision that makes them so. */
const TEMPLATE_KINDS: Readonly<Record<string, ContactKind>> = {
  // Reg F 1006.34: the validation information, required within 5 days of the initial communication.
  'validation-notice': 'required_disclosure',
};

/** The kind of a message rendered from `template`: collection unless the law names it otherwise. */
export function contactKindOf(template: string): ContactKind {
  return Object.prototype.hasOwnProperty.call(TEMPLATE_KINDS, template) ? TEMPLATE_KINDS[template]! : 'collection';
}

/** May a contact of this kind go out while a dispute is open / after a cease request? */
export function passesDispute(kind: ContactKind): boolean {
  return KIND_PASSES[kind]?.dispute === true;
}

export function passesCease(kind: ContactKind): boolean {
  return KIND_PASSES[kind]?.cease === true;
}

// Complaints (issue #16): backends file a borrower's complaint (the borrower's own page files them too);
// an open complaint pauses the case until an operator reviews it. Also the operator's revocation of a
// loan's self-service links.
import { complaintsForReview, fileComplaint, reviewComplaint, type ComplaintBody } from '../complaints';
import { revokeLinks } from '../../db/repository/links';
import { actorOf, requireLoan } from '../operations';
import { errorResponses, type RouteSpec } from '../route';
import * as s from '../schemas';
import { COMPLAINT_FILTERS, COMPLAINT_SOURCES, COMPLAINT_STATUSES } from '../../domain/vocabulary';

const complaintText = { type: 'string', minLength: 1, maxLength: 4000, description: 'The complaint in the borrower’s words (kept in the complaints table only, never logged).' };
const complaintBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 200, description: 'Your id for this complaint; the same key again returns the same complaint, with other text it is 409.' },
    text: complaintText,
  },
  required: ['idempotencyKey', 'text'],
};
const complaintParams = { type: 'object', additionalProperties: false, properties: { complaintId: { type: 'string', format: 'uuid' } }, required: ['complaintId'] };
const reviewBody = {
  type: 'object',
  additionalProperties: false,
  properties: { resolution: { type: 'string', minLength: 1, maxLength: 4000, description: 'What the review found and what was done.' } },
  required: ['resolution'],
};
const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: [...COMPLAINT_FILTERS], default: 'open' },
    loanId: s.id('Loan id'),
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
  },
};
const nullableText = { type: ['string', 'null'] };
const complaint = {
  type: 'object',
  properties: {
    complaintId: { type: 'string', format: 'uuid' },
    loanId: { type: 'string' },
    source: { type: 'string', enum: [...COMPLAINT_SOURCES] },
    text: { type: 'string' },
    createdAt: s.instant,
    status: { type: 'string', enum: [...COMPLAINT_STATUSES] },
    reviewedAt: { type: ['string', 'null'], format: 'date-time' },
    reviewedBy: nullableText,
    resolution: nullableText,
  },
};
const filedResponse = { ...complaint, properties: { ...complaint.properties, created: { type: 'boolean' }, paused: { type: 'boolean', description: 'The case was paused for review (false when no collection runs).' } } };
const reviewedResponse = { ...complaint, properties: { ...complaint.properties, resumed: { type: 'boolean', description: 'The case resumed: this was the loan’s last open complaint.' } } };

export const complaintRoutes: RouteSpec[] = [
  {
    method: 'POST',
    url: '/v1/loans/:loanId/complaints',
    operationId: 'fileComplaint',
    summary: 'File a borrower’s complaint: the case pauses until an operator reviews it',
    description: 'Recorded once per idempotencyKey, audited without its text, then the case is paused through the operator pause path (rule `common.paused`).',
    tag: 'backends',
    roles: ['backend', 'operator'],
    schema: { params: s.loanParams, body: complaintBody },
    responses: { 201: { description: 'Filed', schema: filedResponse }, 200: { description: 'Already filed with this key', schema: filedResponse }, ...errorResponses(400, 401, 403, 404, 409, 422) },
    async handler(request, reply, { deps, principal }) {
      const { loanId } = request.params as { loanId: string };
      const result = await fileComplaint(deps, loanId, request.body as ComplaintBody, 'api', principal);
      reply.status(result.created ? 201 : 200);
      return result;
    },
  },
  {
    method: 'GET',
    url: '/v1/complaints',
    operationId: 'listComplaints',
    summary: 'Complaints awaiting review (oldest first), or all of them',
    tag: 'operators',
    roles: ['operator'],
    schema: { querystring: listQuery },
    responses: { 200: { description: 'Complaints', schema: { type: 'object', properties: { complaints: { type: 'array', items: complaint } } } }, ...errorResponses(400, 401, 403) },
    async handler(request, _reply, { deps }) {
      const q = request.query as { status?: 'open' | 'all'; loanId?: string; limit?: number };
      return complaintsForReview(deps, { open: (q.status ?? 'open') === 'open', ...(q.loanId ? { loanId: q.loanId } : {}), limit: q.limit ?? 100 });
    },
  },
  {
    method: 'POST',
    url: '/v1/complaints/:complaintId/review',
    operationId: 'reviewComplaint',
    summary: 'Record an operator’s review of a complaint; the case resumes when no other complaint is open',
    tag: 'operators',
    roles: ['operator'],
    schema: { params: complaintParams, body: reviewBody },
    responses: { 200: { description: 'Reviewed', schema: reviewedResponse }, ...errorResponses(400, 401, 403, 404, 409, 422) },
    async handler(request, _reply, { deps, principal }) {
      const { complaintId } = request.params as { complaintId: string };
      return reviewComplaint(deps, complaintId, (request.body as { resolution: string }).resolution, principal);
    },
  },
  {
    method: 'POST',
    url: '/v1/loans/:loanId/links/revoke',
    operationId: 'revokeBorrowerLinks',
    summary: 'Revoke every live self-service link of the loan (the borrower gets a new one with the next message)',
    description: 'For a link sent to the wrong address or shared by mistake. Audited with the reason.',
    tag: 'operators',
    roles: ['operator'],
    schema: { params: s.loanParams, body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } }, required: ['reason'] } },
    responses: { 200: { description: 'Revoked', schema: { type: 'object', properties: { loanId: { type: 'string' }, revoked: { type: 'integer' } } } }, ...errorResponses(400, 401, 403, 404) },
    async handler(request, _reply, { deps, principal }) {
      const { loanId } = request.params as { loanId: string };
      await requireLoan(deps.db, loanId);
      return { loanId, revoked: await revokeLinks(deps.db, loanId, actorOf(principal), (request.body as { reason: string }).reason) };
    },
  },
];

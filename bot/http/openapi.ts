import { CHANNELS } from '../../adapters/channel';

/** The clinician API's description, served at /api/v1/openapi.json. Kept beside the routes it describes. */
export function openApiDocument(serverUrl: string) {
  const error = { $ref: '#/components/schemas/Error' };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const responses = (ok: object, extra: Record<string, string> = {}) => ({
    ...ok,
    401: { description: 'no or invalid bearer token: expired, without an expiry, or from another account than the one bound to this staff member', content: { 'application/json': { schema: error } } },
    403: { description: 'the token is valid but names nobody on Lamplight staff', content: { 'application/json': { schema: error } } },
    ...Object.fromEntries(Object.entries(extra).map(([code, description]) => [code, { description, content: { 'application/json': { schema: error } } }])),
  });
  const auditFilters = [
    { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the page before (opaque)' },
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
    { name: 'actor', in: 'query', schema: { type: 'string' }, description: 'a staff id or email, or system, operator or anonymous' },
    { name: 'action', in: 'query', schema: { type: 'string' }, description: 'e.g. conversation.read' },
    { name: 'subject', in: 'query', schema: { type: 'string' }, description: 'the subject id' },
    { name: 'subjectType', in: 'query', schema: { type: 'string' }, description: 'e.g. conversation, escalation, service, staff, token' },
    { name: 'from', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'at or after' },
    { name: 'to', in: 'query', schema: { type: 'string', format: 'date-time' }, description: 'before' },
    { name: 'outcome', in: 'query', schema: { type: 'string', enum: ['ok', 'denied'] } },
    { name: 'service', in: 'query', schema: { type: 'string' }, description: 'one of the services where I am an admin (default: all of them)' },
  ];
  return {
    openapi: '3.1.0',
    info: { title: 'Lamplight clinician API', version: '1.0.0', description: 'Conversations for the services the caller belongs to. Every call is audited.' },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ bearer: [] }],
    paths: {
      '/me': { get: { summary: 'The signed-in staff member, their service memberships, their personal Teams notices (teamsNotices: personalChat, muteNonUrgent) and their escalation alerts by text and email (escalationAlerts: onLadder, workMobile masked, bySms, byEmail, email)', responses: responses({ 200: { description: 'staff member' } }) } },
      '/reports': {
        get: {
          summary: 'What my services (duty lead or admin) did over a period of UK days: totals, channels, first replies, escalations, a series by day, week or month, busiest hours. Audited',
          parameters: [
            { name: 'from', in: 'query', required: true, schema: { type: 'string', format: 'date' } },
            { name: 'to', in: 'query', required: true, schema: { type: 'string', format: 'date' }, description: 'included; at most 367 days after from' },
            { name: 'bucket', in: 'query', schema: { type: 'string', enum: ['day', 'week', 'month'], default: 'day' } },
            { name: 'service', in: 'query', schema: { type: 'string' }, description: 'slugs, comma-separated; default every service where I am a duty lead or admin' },
            { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
          ],
          responses: responses({ 200: { description: 'the report (JSON), or its series and totals as text/csv' }, 400: { description: 'bad period, bucket or format' }, 403: { description: 'not a duty lead or admin of the service' } }),
        },
      },
      '/me/work-mobile': { put: { summary: 'Set my work mobile for escalation alerts by text, or remove it. Body {"workMobile": "07700 900123" | "+447700900123" | null}. Kept sealed; audited without the number', responses: responses({ 200: { description: 'my alert settings (escalationAlerts)' }, 400: { description: 'not a phone number' } }) } },
      '/me/notices': { put: { summary: 'Mute or unmute my non-urgent Teams notices (assignments, transfers); escalation alerts cannot be muted. Body {"muteNonUrgent": true|false}', responses: responses({ 200: { description: 'my notice settings' }, 400: { description: 'not a boolean' } }) } },
      '/conversations': {
        get: {
          summary: 'A queue of my services\' conversations, high risk first, then longest waiting, with the counts of every queue',
          parameters: [
            { name: 'queue', in: 'query', schema: { type: 'string', enum: ['escalated', 'unassigned', 'mine', 'open', 'closed'], default: 'open' } },
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'closed'] }, description: 'older spelling of queue=open|closed' },
            { name: 'service', in: 'query', schema: { type: 'string' } },
          ],
          responses: responses({ 200: { description: 'list', content: { 'application/json': { schema: { type: 'object', properties: { queue: { type: 'string' }, counts: { type: 'object', description: 'every open queue counted in full, with unread and notRecorded' }, total: { type: 'integer', description: 'how many the queue holds; the list shows at most 500 open (200 closed), most urgent first' }, conversations: { type: 'array', items: { $ref: '#/components/schemas/ConversationSummary' } } } } } } } }, { 400: 'bad filter' }),
        },
      },
      '/search/conversations': {
        get: {
          summary: 'Find conversations in my services by words from a message, a whole number or its last four, UK dates, service, risk and status (at least one). Words and last four are matched by opening the newest candidates the other filters leave, up to a bound: complete says whether every candidate was searched. Audited with the filters used, never the words or number.',
          parameters: [
            { name: 'q', in: 'query', schema: { type: 'string', minLength: 2, maxLength: 100 }, description: 'words from a message; case, accents and spacing do not matter; part of a word matches' },
            { name: 'number', in: 'query', schema: { type: 'string' }, description: 'a whole number in any spelling (07700 900111, +447700900111) or its last four digits' },
            { name: 'from', in: 'query', schema: { type: 'string', format: 'date' }, description: 'conversations going on on or after this UK day' },
            { name: 'to', in: 'query', schema: { type: 'string', format: 'date' }, description: 'conversations begun on or before this UK day' },
            { name: 'risk', in: 'query', schema: { type: 'string', enum: ['high', 'medium', 'none', 'flagged'] } },
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'closed', 'any'] } },
            { name: 'service', in: 'query', schema: { type: 'string' } },
          ],
          responses: responses({ 200: { description: 'newest first, at most 100', content: { 'application/json': { schema: { type: 'object', properties: {
            conversations: { type: 'array', items: { allOf: [{ $ref: '#/components/schemas/ConversationSummary' }, { type: 'object', properties: { match: { type: ['object', 'null'], properties: { messageId: { type: 'string' }, snippet: { type: 'string' } } } } }] } },
            complete: { type: 'boolean' }, scanned: { type: 'object', properties: { conversations: { type: 'integer' }, messages: { type: 'integer' } } },
          } } } } } }, { 400: 'nothing to search for, or a filter that cannot be read' }),
        },
      },
      '/admin/services': { get: { summary: 'Admins: each service I administer, its settings as the config file has them (hours, bank holidays, closures, reply promises, auto-replies, templates, ladder, channels), never a secret; audited', responses: responses({ 200: { description: 'settings' } }, { 403: 'not an admin of any service' }) } },
      '/admin/outbox': { get: { summary: 'Admins: failed sends, or sends still waiting more than 5 minutes (state=failed|delayed, default failed; service optional), newest 200 with the whole total; error codes only, never text; audited', parameters: [{ name: 'state', in: 'query', schema: { type: 'string', enum: ['failed', 'delayed'] } }, { name: 'service', in: 'query', schema: { type: 'string' } }], responses: responses({ 200: { description: '{ state, delayedAfterMinutes, total, items }' } }, { 400: 'unknown parameter, state or service', 403: 'not an admin of that service' }) } },
      '/admin/outbox/{id}/retry': { post: { summary: 'Admins: send a failed message again under the rules of a reply (the inbox\'s Retry)', parameters: [id], responses: responses({ 200: { description: '{ id, conversationId, status: pending }' } }, { 404: 'not in my admin services', 409: 'not_failed, not_retryable (a Teams card), or a send guard (opted out, blocked, window closed)' }) } },
      '/admin/staff': {
        get: { summary: 'Admins: the people of my services with their memberships; audited', responses: responses({ 200: { description: '{ services, roles, staff }' } }, { 403: 'not an admin of any service' }) },
        post: { summary: 'Admins: add a person, or a membership for someone already on the staff list ({ email, name, role, service }; the CLI\'s rules); audited without the email', requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['email', 'name', 'role', 'service'], properties: { email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string', enum: ['clinician', 'duty-lead', 'admin'] }, service: { type: 'string' } } } } } }, responses: responses({ 201: { description: '{ staffId, membershipId, created }' } }, { 400: 'a field that cannot be used, named', 403: 'not an admin of that service', 409: 'already_member' }) },
      },
      '/admin/staff/memberships/{id}': {
        patch: { summary: 'Admins: change a membership\'s role ({ role }; POST does the same); never the last admin of a service', parameters: [id], responses: responses({ 200: { description: '{ id, role, previousRole }' } }, { 400: 'bad role', 404: 'not in my admin services', 409: 'last_admin' }) },
        delete: { summary: 'Admins: remove a membership (POST …/remove does the same); never the last admin of a service', parameters: [id], responses: responses({ 200: { description: '{ id, removed: true }' } }, { 404: 'not in my admin services', 409: 'last_admin' }) },
      },
      '/conversations/{id}': {
        get: {
          summary: 'One conversation with its newest messages (at most `limit`, default and most 500) and their delivery status; `olderMessages.before`, when there are older messages, is the cursor for the page before (`?before=`); transcripts hold every message',
          parameters: [id, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 500 } }, { name: 'before', in: 'query', schema: { type: 'string' }, description: 'olderMessages.before of an earlier answer' }],
          responses: responses({ 200: { description: 'conversation' } }, { 400: 'a bad limit or cursor', 404: 'no such conversation in my services' }),
        },
      },
      '/conversations/{id}/messages': {
        post: {
          summary: 'Reply to the contact (queued in the outbox, sent on the conversation\'s channel)',
          parameters: [id],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 4096, description: "At most the channel's own limit (SMS 1,600; WhatsApp 4,096; web chat 4,096; after a WhatsApp window closed, what the approved template leaves of Meta's 1,024, as the reply goes inside it): the conversation's reply.maxLength says which" } } } } } },
          responses: responses({ 201: { description: 'queued' } }, { 400: 'empty or too long for the channel', 404: 'no such conversation in my services', 409: 'conversation closed, contact opted out or blocked, reply window closed with no approved template, or too long for the template' }),
        },
      },
      '/conversations/{id}/typing': {
        post: {
          summary: 'I am writing a reply: a web chat page shows "typing" (nothing is stored; no effect on other channels). Call it at most every few seconds while the reply box is in use.',
          parameters: [id],
          responses: responses({ 202: { description: 'passed on to any open chat page' } }, { 404: 'no such conversation in my services' }),
        },
      },
      '/services': { get: { summary: 'My services (role, reply promise, templates, colleagues), every service for transfers, and the outcome codes', responses: responses({ 200: { description: 'services' } }) } },
      '/conversations/{id}/transcript.txt': { get: { summary: 'The transcript as plain text (audited as an export)', parameters: [id], responses: responses({ 200: { description: 'text/plain transcript' } }, { 404: 'no such conversation in my services' }) } },
      '/conversations/{id}/transcript.pdf': { get: { summary: 'The transcript as PDF (audited as an export)', parameters: [id], responses: responses({ 200: { description: 'application/pdf transcript' } }, { 404: 'no such conversation in my services' }) } },
      ...Object.fromEntries(([
        ['claim', 'Claim: first claim wins (409 names who has it)', undefined, { 409: 'someone else has it, or it is closed' }],
        ['assign', 'Assign to a colleague of the service (the holder, a duty lead or an admin)', { staffId: { type: 'string' } }, { 400: 'not a member of the service', 403: 'someone else has it' }],
        ['transfer', 'Transfer to another service with a note for the receiving team', { service: { type: 'string' }, note: { type: 'string', maxLength: 4000 } }, { 400: 'unknown service or no note', 409: 'the contact already has an open conversation there' }],
        ['close', 'Close with an outcome code', { outcome: { type: 'string' } }, { 400: 'unknown outcome', 409: 'already closed' }],
        ['recorded', 'Mark as recorded in the clinical record', undefined, {}],
        ['notes', 'Add an internal note (staff only, never sent)', { text: { type: 'string', maxLength: 4000 } }, { 400: 'empty or too long' }],
        ['block', 'Block the contact: messages are still stored and triaged, nothing is sent', undefined, {}],
        ['unblock', 'Unblock the contact (duty lead or admin)', undefined, { 403: 'a clinician cannot unblock' }],
        ['retry', 'Send a failed message again', { messageId: { type: 'string' } }, { 409: 'the message has not failed, or the contact opted out or is blocked' }],
      ] as [string, string, Record<string, object> | undefined, Record<string, string>][]).map(([path, summary, properties, errors]) => [`/conversations/{id}/${path}`, {
        post: {
          summary,
          parameters: [id],
          ...(properties ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: Object.keys(properties), properties } } } } } : {}),
          responses: responses({ [path === 'notes' ? 201 : 200]: { description: 'done' } }, { 404: 'no such conversation in my services', ...errors }),
        },
      }])),
      '/audit': {
        get: {
          summary: 'The audit trail of the services where I am an admin, newest first, a page at a time; the read is itself audited',
          parameters: auditFilters,
          responses: responses({ 200: { description: 'a page of events, and the cursor of the next page (null on the last)', content: { 'application/json': { schema: { type: 'object', required: ['events', 'nextCursor'], properties: { events: { type: 'array', items: { $ref: '#/components/schemas/AuditEvent' } }, nextCursor: { type: ['string', 'null'] } } } } } } }, { 400: 'bad filter or cursor' }),
        },
      },
      '/audit.csv': {
        get: {
          summary: 'Every event the same filters select, as CSV (text/csv; cells that would start a spreadsheet formula are prefixed with an apostrophe); the export is itself audited',
          parameters: [...auditFilters.filter((p) => p.name !== 'limit'), { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 }, description: 'at most this many (default: all)' }],
          responses: responses({ 200: { description: 'CSV with a header row: seq, id, at, actorType, actorId, actorName, action, subjectType, subjectId, services, outcome, detail, hash', content: { 'text/csv': { schema: { type: 'string' } } } } }, { 400: 'bad filter or cursor' }),
        },
      },
      '/events': {
        get: {
          summary: 'Live events (text/event-stream): ids, kinds and levels for my services; resume with Last-Event-ID, `resync` when too old. '
            + 'The stream ends with `expired` when its token expires (reconnect with a fresh token and Last-Event-ID), and with `superseded` when the same person opens more than 5 streams (the oldest ends; do not reconnect on your own)',
          parameters: [{ name: 'Last-Event-ID', in: 'header', schema: { type: 'integer' } }],
          responses: responses({ 200: { description: 'an event stream: ready, message.created, conversation.updated, delivery.updated, escalation.notified, escalation.acknowledged, resync, expired, superseded' } }),
        },
      },
      '/conversations/{id}/clear-risk': {
        post: { summary: 'Clear the conversation\'s risk level (the highest level seen stays until a clinician clears it); audited', parameters: [id], responses: responses({ 200: { description: 'cleared' } }, { 404: 'no such conversation in my services' }) },
      },
      '/escalations': {
        get: {
          summary: 'Escalations of the services where I am a duty lead or an admin (a clinician gets an empty list): open and exhausted ones oldest first by default; acknowledged ones newest first on request; audited',
          parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'acknowledged', 'all'], default: 'open' } }],
          responses: responses({ 200: { description: 'list', content: { 'application/json': { schema: { type: 'object', properties: { escalations: { type: 'array', items: { $ref: '#/components/schemas/Escalation' } } } } } } } }, { 400: 'bad filter' }),
        },
      },
      '/escalations/{id}/acknowledge': {
        post: {
          summary: 'Acknowledge an escalation (duty lead or admin of its service), saying what was done: stops the ladder; the outcome is kept as a sealed note in the conversation\'s thread ("Escalation acknowledged: …") and in its transcript; audited',
          parameters: [id],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['outcome'], properties: { outcome: { type: 'string', minLength: 1, maxLength: 500, description: 'What was done, in the person\'s words: 1 to 500 characters as a person counts them after trimming; line breaks kept; control and bidi characters refused' } } } } } },
          responses: responses({ 200: { description: 'acknowledged', content: { 'application/json': { schema: { $ref: '#/components/schemas/Escalation' } } } } }, { 400: 'bad_request: no outcome, too long, or control characters', 403: 'a clinician (only duty leads and admins acknowledge)', 404: 'no such escalation in my services', 409: 'already_acknowledged (the message names who by)' }),
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } },
        AuditEvent: {
          type: 'object',
          properties: {
            seq: { type: 'integer', description: 'position in the hash chain' }, id: { type: 'string' }, at: { type: 'string', format: 'date-time' },
            actorType: { type: 'string', enum: ['staff', 'system', 'operator', 'anonymous'] }, actorId: { type: ['string', 'null'] }, actorName: { type: ['string', 'null'] },
            action: { type: 'string' }, subjectType: { type: 'string' }, subjectId: { type: ['string', 'null'] },
            services: { type: 'array', items: { type: 'string' }, description: 'every service the event concerns' },
            outcome: { type: 'string', enum: ['ok', 'denied'] }, detail: { type: ['object', 'null'], description: 'ids, counts and codes' },
            hash: { type: 'string', description: 'SHA-256 of the event and the hash before it' },
          },
        },
        Escalation: {
          type: 'object',
          description: 'An escalation as a duty lead reads it (also the conversation detail\'s `escalation`, the newest, and `escalations`, all of them newest first)',
          properties: {
            id: { type: 'string' }, conversationId: { type: 'string' }, service: { type: 'string' }, serviceName: { type: 'string' },
            status: { type: 'string', enum: ['open', 'exhausted', 'acknowledged'], description: 'exhausted: the ladder ran its rounds and the final alert went; still not acknowledged' },
            categories: { type: 'array', items: { type: 'string' } }, riskLevel: { type: 'string', enum: ['none', 'medium', 'high'], description: 'the conversation\'s level now' },
            contactLabel: { type: ['string', 'null'], description: 'last four characters of the address' },
            raisedAt: { type: 'string', format: 'date-time' }, messageCount: { type: 'integer', description: 'high-risk messages joined to it' },
            rounds: { type: 'object', properties: { reached: { type: 'integer' }, of: { type: 'integer' } } },
            holder: { type: ['object', 'null'], description: 'who holds it now: the last level alerted (levels accumulate); null before the first alert', properties: { level: { type: 'integer', description: '0 for the final alert' }, final: { type: 'boolean' }, label: { type: 'string', example: 'Level 2: duty leads, admins' }, names: { type: 'array', items: { type: 'string' } } } },
            alerts: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, level: { type: 'integer' }, round: { type: 'integer' }, final: { type: 'boolean' }, to: { type: 'array', items: { type: 'string' }, description: 'names' }, routes: { type: 'array', items: { type: 'string' }, example: ['Lamplight tab', 'Teams channel (sent)'] } } } },
            nextStep: { type: ['object', 'null'], properties: { at: { type: 'string', format: 'date-time' }, description: { type: 'string', example: 'Level 2: duty leads, admins alerted if not acknowledged' } } },
            acknowledgement: { type: ['object', 'null'], properties: { by: { type: ['string', 'null'] }, at: { type: 'string', format: 'date-time' }, outcome: { type: ['string', 'null'], description: 'what was done; null when acknowledged from the Teams card, which asks for nothing' } } },
          },
        },
        ConversationSummary: {
          type: 'object',
          properties: {
            id: { type: 'string' }, service: { type: 'string' }, serviceName: { type: 'string' }, channel: { type: 'string', enum: [...CHANNELS] },
            status: { type: 'string', enum: ['open', 'closed'] }, riskLevel: { type: 'string', enum: ['none', 'medium', 'high'] },
            contactLabel: { type: 'string', description: 'last four characters of the address' },
            awaitingReplySince: { type: ['string', 'null'], format: 'date-time' }, replyDueBy: { type: ['string', 'null'], format: 'date-time' },
            lastMessageAt: { type: 'string', format: 'date-time' },
            unread: { type: 'boolean', description: 'a message from the contact since I (this caller) last opened it' },
            undelivered: { type: ['object', 'null'], description: 'list rows: a message to the contact failed; held = a reply that failed after its whole retry window (six hours) and holds the replies queued after it until Retry', properties: { held: { type: 'boolean' } } },
            preview: { type: ['string', 'null'], description: 'the first line of the newest message from the contact, at most 120 characters, as text' },
            riskCategories: { type: 'array', items: { type: 'string' }, description: 'the triage categories of the messages that set the risk level' },
          },
        },
      },
    },
  };
}

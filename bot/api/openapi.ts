/** The clinician API's description, served at /api/v1/openapi.json. Kept beside the routes it describes. */
export function openApiDocument(serverUrl: string) {
  const error = { $ref: '#/components/schemas/Error' };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const responses = (ok: object, extra: Record<string, string> = {}) => ({
    ...ok,
    401: { description: 'no or invalid bearer token', content: { 'application/json': { schema: error } } },
    403: { description: 'the token is valid but names nobody on Lamplight staff', content: { 'application/json': { schema: error } } },
    ...Object.fromEntries(Object.entries(extra).map(([code, description]) => [code, { description, content: { 'application/json': { schema: error } } }])),
  });
  return {
    openapi: '3.1.0',
    info: { title: 'Lamplight clinician API', version: '1.0.0', description: 'Conversations for the services the caller belongs to. Every call is audited.' },
    servers: [{ url: `${serverUrl}/api/v1` }],
    security: [{ bearer: [] }],
    paths: {
      '/me': { get: { summary: 'The signed-in staff member and their service memberships', responses: responses({ 200: { description: 'staff member' } }) } },
      '/conversations': {
        get: {
          summary: 'Conversations of my services, high risk first, then longest waiting',
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'closed'], default: 'open' } },
            { name: 'service', in: 'query', schema: { type: 'string' } },
          ],
          responses: responses({ 200: { description: 'list', content: { 'application/json': { schema: { type: 'object', properties: { conversations: { type: 'array', items: { $ref: '#/components/schemas/ConversationSummary' } } } } } } } }, { 400: 'bad filter' }),
        },
      },
      '/conversations/{id}': {
        get: { summary: 'One conversation with its messages and delivery status', parameters: [id], responses: responses({ 200: { description: 'conversation' } }, { 404: 'no such conversation in my services' }) },
      },
      '/conversations/{id}/messages': {
        post: {
          summary: 'Reply to the contact (queued in the outbox, sent on the conversation\'s channel)',
          parameters: [id],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 1600 } } } } } },
          responses: responses({ 201: { description: 'queued' } }, { 400: 'empty or too long', 404: 'no such conversation in my services', 409: 'conversation closed, or contact opted out' }),
        },
      },
      '/conversations/{id}/clear-risk': {
        post: { summary: 'Clear the conversation\'s risk level (the highest level seen stays until a clinician clears it); audited', parameters: [id], responses: responses({ 200: { description: 'cleared' } }, { 404: 'no such conversation in my services' }) },
      },
      '/escalations': {
        get: {
          summary: 'Escalations of my services: open (and exhausted) by default',
          parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['open', 'acknowledged', 'all'], default: 'open' } }],
          responses: responses({ 200: { description: 'list' } }, { 400: 'bad filter' }),
        },
      },
      '/escalations/{id}/acknowledge': {
        post: {
          summary: 'Acknowledge an escalation (duty lead or admin of its service): stops the ladder; audited',
          parameters: [id],
          responses: responses({ 200: { description: 'acknowledged' } }, { 404: 'no such escalation in my services', 409: 'already acknowledged (the message names who by)' }),
        },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } },
        ConversationSummary: {
          type: 'object',
          properties: {
            id: { type: 'string' }, service: { type: 'string' }, serviceName: { type: 'string' }, channel: { type: 'string', enum: ['sms', 'whatsapp', 'webchat'] },
            status: { type: 'string', enum: ['open', 'closed'] }, riskLevel: { type: 'string', enum: ['none', 'medium', 'high'] },
            contactLabel: { type: 'string', description: 'last four characters of the address' },
            awaitingReplySince: { type: ['string', 'null'], format: 'date-time' }, replyDueBy: { type: ['string', 'null'], format: 'date-time' },
          },
        },
      },
    },
  };
}

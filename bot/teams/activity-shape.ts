/**
 * What the Bot Framework SDK needs of an incoming activity before it can authenticate and route
 * it. Without these checks an empty `{}` reached the SDK and came back as a 500 with its internal
 * message; now it is a 400 that says what is missing.
 */
export function activityProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'send a Bot Framework activity as a JSON object';
  const activity = body as Record<string, unknown>;
  const text = (name: string) => typeof activity[name] === 'string' && (activity[name] as string).length > 0 && (activity[name] as string).length <= 4096;
  const withId = (name: string) => {
    const value = activity[name];
    return !!value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string';
  };
  if (!text('type')) return 'the activity needs a "type"';
  if (!text('channelId')) return 'the activity needs a "channelId"';
  if (!text('serviceUrl') || !isHttpUrl(activity.serviceUrl as string)) return 'the activity needs an http(s) "serviceUrl"';
  if (!withId('conversation')) return 'the activity needs a "conversation" with an "id"';
  if (!withId('from')) return 'the activity needs a "from" with an "id"';
  if (activity.type === 'invoke' && activity.name === 'adaptiveCard/action') {
    // The SDK reads value.action.type before anything else would look.
    const value = activity.value as { action?: unknown } | undefined;
    if (!value || typeof value !== 'object' || !value.action || typeof value.action !== 'object') return 'an adaptiveCard/action invoke needs a "value" with an "action"';
  }
  return undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

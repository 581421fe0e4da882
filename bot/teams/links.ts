/**
 * Where a link to a conversation goes. In Teams: a deep link to the Lamplight tab (the app's
 * static tab `inbox`, teams-app/package/build-package.ts) whose context names the conversation as
 * its subEntityId, which the tab reads through app.getContext(). In a browser: the web app at
 * `/app/#/conversations/<id>`. Both carry only the id: never message text or a number.
 */
export const TAB_ENTITY_ID = 'inbox';
/** The Teams app id a package built without MICROSOFT_APP_ID carries (the demo's). */
export const DEV_APP_ID = '00000000-0000-4000-8000-00000000c4a7';

export function conversationLinks(publicUrl: string, appId: string | undefined, conversationId: string): { teams: string; web: string } {
  const context = encodeURIComponent(JSON.stringify({ subEntityId: conversationId }));
  return {
    teams: `https://teams.microsoft.com/l/entity/${encodeURIComponent(appId || DEV_APP_ID)}/${TAB_ENTITY_ID}?context=${context}`,
    web: `${publicUrl}/app/#/conversations/${conversationId}`,
  };
}

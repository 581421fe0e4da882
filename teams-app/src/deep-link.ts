/**
 * Which conversation the tab opens on: a link to `/app/#/conversations/<id>` in a browser, or in
 * Teams a deep link whose context carries the id as `subEntityId` (read as the page's subPageId).
 * The hash follows the open conversation, so a reload or a copied address comes back to it.
 * Anything that is not one of our ids (random UUIDs) is ignored: the address is anyone's to write.
 */
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HASH = /^#\/conversations\/([^/?#]+)$/;

export function conversationLinked(subPageId?: string): string | undefined {
  if (subPageId && ID.test(subPageId)) return subPageId;
  const id = HASH.exec(location.hash)?.[1];
  return id && ID.test(id) ? id : undefined;
}

export function showConversationInAddress(id: string | undefined): void {
  const hash = id ? `#/conversations/${id}` : '';
  // Only a conversation's address is ours to change or clear.
  if (location.hash === hash || (!id && !HASH.test(location.hash))) return;
  history.replaceState(history.state, '', `${location.pathname}${location.search}${hash}`);
}

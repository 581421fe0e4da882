/**
 * Web chat's policy as data: how long its tokens live, how a page may come back to its chat, and
 * what the Direct Line surface takes. The numbers follow what the official client expects
 * (PROTOCOL.md): it refreshes its token every 15 minutes, so a token lives 30.
 */

/** A Direct Line token's life in seconds (`expires_in`); the client refreshes at half of it. */
export const TOKEN_LIFETIME_S = 30 * 60;

/**
 * How long after its last activity a page may get a fresh token for its chat with the resume
 * secret it keeps in session storage (a phone that slept): after that it starts a new chat.
 */
export const RESUME_WITHIN_MS = 12 * 60 * 60_000;

/** The most activities one poll (GET …/activities) or one WebSocket frame carries; the rest follow. */
export const ACTIVITY_PAGE = 200;

/** An empty frame on every open socket this often, as Direct Line does, so proxies keep it open. */
export const KEEPALIVE_MS = 15_000;

/**
 * How often each instance checks its open sockets' chats for activities it was not told about
 * (sent by another instance); activities sent by this instance reach the page at once.
 */
export const STREAM_CHECK_MS = 3_000;

/** Open sockets one chat may hold (tabs of one browser session); the oldest gives way with `collision`. */
export const SOCKETS_PER_CHAT = 5;

/** What a client's `channelData.clientActivityID` may look like: the idempotency key of a post. */
export const CLIENT_ACTIVITY_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * A post the gateway did not store at once (the database was down) is stored again this long after
 * it arrived, and every this-long after that, until it is.
 */
export const REDRIVE_AFTER_MS = 5_000;

/** Token requests per minute from one address (a school's pupils share one: a class opening the page at once fits). */
export const TOKENS_PER_MINUTE_PER_ADDRESS = 60;
/** Token requests per minute for one service, from everywhere. */
export const TOKENS_PER_MINUTE_PER_SERVICE = 600;

/** Where Quick exit goes when a service names no neutral site of its own: a weather page. */
export const DEFAULT_EXIT_URL = 'https://www.bbc.co.uk/weather';

/**
 * A chat's page counts as open while it has been heard from this recently (a socket's keep-alive
 * or a poll touches the chat at most once a minute): the inbox tells the clinician when it is not.
 */
export const PAGE_PRESENT_MS = 90_000;

/** Open sockets one instance takes (each holds memory and a file descriptor); past it, 503 and the client polls or retries. */
export const SOCKETS_PER_INSTANCE = 10_000;

/** A stream token (in the `streamUrl`, so in proxies' access logs) opens the socket only, for this long. */
export const STREAM_TOKEN_LIFETIME_S = 60;

/** A chat that never had a message is deleted this long after it was made (a page opened and left). */
export const EMPTY_CHAT_KEPT_MS = 24 * 60 * 60_000;

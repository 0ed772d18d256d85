/** A queue's name as a URL path segment of the API. */
export const queuePath = (name: string) => `/queues/${encodeURIComponent(name)}`;

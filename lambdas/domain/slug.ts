/**
 * The id of what people name themselves: topics, templates, segments, journeys and their steps, partners. What a URL
 * path and a DynamoDB attribute name take without escaping; the schemas check it, and code that reads such an id
 * from anywhere else (a form field, a key) checks it with the same pattern, without loading a schema library.
 */
export const SLUG = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const SLUG_HINT = 'use 1-64 lower-case letters, digits, "-" or "_", starting with a letter or digit';

import { describe, expect, it } from 'vitest';
import { ApiError, CliError, formatError, UsageError } from '../../../cli/errors.ts';
import { apiError } from '../../../cli/http.ts';

describe('formatError', () => {
  it('an API error: its message, status and code, then each detail on its own line', () => {
    const e = new ApiError(400, 'validation_failed', 'The request is not valid.', [{ path: 'html', message: 'needs {{unsubscribe_url}}' }, { message: 'needs the postal address' }]);
    expect(formatError(e)).toBe('sendwell: The request is not valid. (HTTP 400, validation_failed)\n  - html: needs {{unsubscribe_url}}\n  - needs the postal address\n');
  });

  it('usage and CLI errors; anything else without its stack', () => {
    expect(formatError(new UsageError('--name is required', 'topics create'))).toBe('sendwell: --name is required\nRun `sendwell topics create --help` for usage.\n');
    expect(formatError(new CliError('Cannot read x.csv: ENOENT'))).toBe('sendwell: Cannot read x.csv: ENOENT\n');
    expect(formatError(new TypeError('boom'))).toBe('sendwell: unexpected error: boom\n');
  });
});

describe('apiError: what the server said', () => {
  it("Sendwell's error body", () => {
    const e = apiError(409, JSON.stringify({ error: { code: 'conflict', message: 'Topic news exists.', details: [{ path: 'id', message: 'taken' }, 'junk'] } }));
    expect(e).toMatchObject({ status: 409, code: 'conflict', message: 'Topic news exists.', details: [{ path: 'id', message: 'taken' }] });
  });

  it("API Gateway's own answers and plain text", () => {
    expect(apiError(403, '{"message":"Forbidden"}')).toMatchObject({ status: 403, code: 'http_403', message: 'Forbidden' });
    expect(apiError(502, '<html>Bad Gateway</html>')).toMatchObject({ code: 'http_502', message: '<html>Bad Gateway</html>' });
    expect(apiError(500, '')).toMatchObject({ message: 'HTTP 500' });
  });
});

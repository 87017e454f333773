import { describe, expect, it } from 'vitest';
import { deadLetterAttributes, MAX_MESSAGE_BYTES } from '../lambda/aws/sqs';

const sizeOf = (attributes: ReturnType<typeof deadLetterAttributes>) =>
  Object.entries(attributes).reduce((total, [name, a]) => total + Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue), 0);

describe('dead-letter attributes', () => {
  it('carry the code and the message as given when they fit', () => {
    expect(deadLetterAttributes(100, 'invalid_json', 'Unexpected token')).toEqual({
      errorCode: { DataType: 'String', StringValue: 'invalid_json' },
      errorMessage: { DataType: 'String', StringValue: 'Unexpected token' },
    });
  });

  it('cut a long message to 2048 bytes of UTF-8 without splitting a character', () => {
    const { errorMessage } = deadLetterAttributes(100, 'X', 'é'.repeat(5000));
    expect(Buffer.byteLength(errorMessage!.StringValue)).toBeLessThanOrEqual(2048);
    expect(errorMessage!.StringValue).toMatch(/^é+…$/);
  });

  it('replace characters SQS refuses', () => {
    expect(deadLetterAttributes(100, 'invalid_json', 'bad \u0001 byte \ufffe').errorMessage?.StringValue).toBe('bad \ufffd byte \ufffd');
  });

  it.each([0, 1000, 200_000, 260_000, 262_000, 262_100, 262_144])('fit beside a body of %i bytes', (bodyBytes) => {
    const attributes = deadLetterAttributes(bodyBytes, 'INVALID_EMAIL_ADDRESS', 'x'.repeat(3000));
    expect(bodyBytes + sizeOf(attributes)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    if (bodyBytes <= 260_000) expect(Object.keys(attributes)).toEqual(['errorCode', 'errorMessage']);
  });

  it('carry the original message id, between the code and the message', () => {
    expect(Object.keys(deadLetterAttributes(100, 'invalid_json', 'Unexpected token', '059f36b4-87a3-44ab-83d2-661975830a7d'))).toEqual(['errorCode', 'originalMessageId', 'errorMessage']);
  });

  it('keep the code before the message when only a little room is left', () => {
    const attributes = deadLetterAttributes(MAX_MESSAGE_BYTES - 40, 'invalid_json', 'a long reason '.repeat(10));
    expect(attributes.errorCode?.StringValue).toBe('invalid_json');
  });
});

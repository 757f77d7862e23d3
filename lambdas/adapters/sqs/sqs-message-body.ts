/**
 * `value` as JSON that SQS accepts, which `JSON.parse` turns back into exactly `value`.
 *
 * SQS accepts only #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF in a message
 * body and refuses the whole message otherwise (InvalidMessageContents), while a notification's
 * free text may hold any character. JSON.stringify already writes control characters and lone
 * surrogates as \u escapes. It leaves U+FFFE and U+FFFF raw, which SQS refuses, and characters
 * beyond U+FFFF raw, which SQS accepts but some SQS emulators and tools do not. All of them get
 * the same \u escape (a supplementary character as its two surrogate escapes), so the body stays
 * plain JSON in SQS's safest range and consumers need no decoding step of their own.
 */
export function toSqsMessageBody(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\uD800-\uDFFF\uFFFE\uFFFF]/g,
    (codeUnit) => `\\u${codeUnit.charCodeAt(0).toString(16)}`,
  );
}

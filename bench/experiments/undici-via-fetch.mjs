// An experiment, not shipped: the two undici exports the function uses, over Node's built-in fetch (which is undici
// inside Node itself, loaded from Node's own snapshot). bench/cold-variants.ts aliases `undici` to this file to
// measure what the npm package costs a cold start.
export class Agent {}

export async function request(url, { method, headers, body, signal }) {
  const answer = await fetch(url, { method, headers, body, signal });
  return {
    statusCode: answer.status,
    headers: Object.fromEntries(answer.headers),
    body: { text: () => answer.text(), json: () => answer.json() },
  };
}

import { print, type DocumentNode } from 'graphql';

const printedDocuments = new WeakMap<DocumentNode, string>();

/**
 * A document's text, printed once per document object. Identical subscriptions share one parsed
 * document and one payload query (parseSubscription), and each payload execution and each group key
 * printed it again (Apollo's executeOperation prints any document it is given).
 */
export function printOnce(document: DocumentNode): string {
  let text = printedDocuments.get(document);
  if (text === undefined) {
    text = print(document);
    printedDocuments.set(document, text);
  }
  return text;
}

import { SaxesParser } from 'saxes';
import { isYidangError } from '../errors.js';
import { unreadable } from './limits.js';
import type { SafeZip } from './zip.js';

// One XML part of an XLSX parsed as it is inflated, never held whole. Names are given without their
// namespace prefix (some writers spell <x:c> for <c>). saxes expands no entity a DTD declares, so an
// entity bomb cannot be built.

export interface XmlHandlers {
  open?: (name: string, attributes: Readonly<Record<string, string>>) => void;
  text?: (text: string) => void;
  close?: (name: string) => void;
}

const local = (name: string) => {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
};

/** An attribute by its name without prefix (r:id is id). */
export function attribute(attributes: Readonly<Record<string, string>>, name: string): string | undefined {
  const direct = attributes[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(attributes)) if (local(key) === name) return value;
  return undefined;
}

export async function parseXmlPart(zip: SafeZip, part: string, handlers: XmlHandlers): Promise<void> {
  const parser = new SaxesParser();
  parser.on('error', (error) => {
    throw unreadable(`XLSX 中 ${part} 的 XML 有误：${error.message.slice(0, 80)}`);
  });
  const { open, text, close } = handlers;
  if (open) parser.on('opentag', (tag) => open(local(tag.name), tag.attributes as Record<string, string>));
  if (text) {
    parser.on('text', text);
    parser.on('cdata', text);
  }
  if (close) parser.on('closetag', (tag) => close(local(tag.name)));
  let decoder: InstanceType<typeof TextDecoder> | undefined;
  try {
    for await (const chunk of zip.chunks(part)) {
      if (!decoder) {
        const utf16 = chunk[0] === 0xff && chunk[1] === 0xfe;
        decoder = new TextDecoder(utf16 ? 'utf-16le' : 'utf-8');
      }
      parser.write(decoder.decode(chunk, { stream: true }));
    }
    parser.write(decoder?.decode() ?? '');
    parser.close();
  } catch (error) {
    if (isYidangError(error)) throw error;
    throw unreadable(`XLSX 中 ${part} 无法读取：${(error as Error).message.slice(0, 80)}`);
  }
}

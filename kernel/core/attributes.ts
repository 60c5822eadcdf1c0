/**
 * Agent attributes in Mesos's text form: `rack:r1;zone:z1;level:10;keys:[1000-1500];tags:{a,b}`.
 * A number is SCALAR, `[..]` RANGES, `{..}` SET, anything else TEXT.
 */
import type { Attribute } from '../../events/resources.js';
import { ResourceError, parseRangeList } from './resources.js';

export function parseAttributes(text: string): Attribute[] {
  const out: Attribute[] = [];
  const seen = new Set<string>();
  for (const part of text.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const i = p.indexOf(':');
    if (i <= 0) throw new ResourceError('PARSE', `cannot parse attribute "${p}": expected name:value`);
    const name = p.slice(0, i).trim();
    const v = p.slice(i + 1).trim();
    if (!/^[^\s;:()\[\]{}]+$/.test(name)) throw new ResourceError('PARSE', `bad attribute name "${name}"`);
    if (seen.has(name)) throw new ResourceError('PARSE', `attribute ${name} is given twice`);
    seen.add(name);
    if (v.startsWith('[')) out.push({ name, type: 'RANGES', ranges: parseRangeList(v, `attribute ${name}`) });
    else if (v.startsWith('{') && v.endsWith('}')) {
      out.push({ name, type: 'SET', set: v.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s !== '') });
    } else if (v !== '' && Number.isFinite(Number(v))) out.push({ name, type: 'SCALAR', scalar: Number(v) });
    else out.push({ name, type: 'TEXT', text: v });
  }
  return out;
}

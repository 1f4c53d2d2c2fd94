import type { Location } from '../core/finding.js';
import { displaySafe } from './sanitize.js';

/** Where inside the file a finding sits, for people: `archive/data.pkl, offset 58`; empty for the whole file. */
export function whereText(location: Location): string {
  const parts: string[] = [];
  if (location.member !== undefined) parts.push(displaySafe(location.member));
  if (location.package !== undefined) parts.push(`package ${displaySafe(location.package)}`);
  if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.offset !== undefined) parts.push(`offset ${location.offset}`);
  return parts.join(', ');
}

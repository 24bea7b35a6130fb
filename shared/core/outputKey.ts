/** The object key an extraction's file is written under. */
import type { Extraction } from './config/types';
import { formatFilenameTimestamp } from './time';

/** `folder + filename + "." + format`, `{timestamp}` filled in with the run's start. */
export function outputKey(extraction: Extraction, startedAt: Date): string {
  const { folder, filename } = extraction.s3_destiny;
  return objectKey(folder, filename, extraction.format, startedAt);
}

/** {@link outputKey} from its parts: the folder loses its leading slashes and ends with one. */
export function objectKey(folder: string, filename: string, format: string, startedAt: Date): string {
  let prefix = folder.replace(/^\/+/, '');
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  return `${prefix}${filename.replaceAll('{timestamp}', formatFilenameTimestamp(startedAt))}.${format}`;
}

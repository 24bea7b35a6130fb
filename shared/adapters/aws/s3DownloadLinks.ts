/**
 * Output file links on AWS: S3 presigned GET URLs, valid for the seconds asked, that
 * make the browser save the object under its file name. The config API's task role
 * signs them, so they reach only what that role may read (the output buckets).
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachment, type DownloadLinks, type StoredFile } from '../../api/downloads';

export function s3DownloadLinks(s3: S3Client): DownloadLinks {
  return {
    link(file: StoredFile, fileName: string, seconds: number): Promise<string> {
      const command = new GetObjectCommand({
        Bucket: file.bucket,
        Key: file.key,
        ResponseContentDisposition: attachment(fileName),
      });
      return getSignedUrl(s3, command, { expiresIn: seconds });
    },
  };
}

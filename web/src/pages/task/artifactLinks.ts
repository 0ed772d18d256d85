// Where the browser downloads an artifact: the hub serves its own files (hub://PATH) at
// /api/v1/files/PATH; http(s) links are the browser's already; other stores (s3://,
// file://...) are not reachable from here.
import { downloadUrl } from "../../api/client";

export function artifactHref(uri: string): string | null {
  if (uri.startsWith("hub://")) {
    const path = uri.slice("hub://".length).split("/").map(encodeURIComponent).join("/");
    return downloadUrl(`/files/${path}`, { download: true });
  }
  if (/^https?:\/\//i.test(uri)) return uri;
  return null;
}

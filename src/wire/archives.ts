// Archives as the registry lists them (GET /v1/archives, /v1/archives/:id).

export interface FileNode {
  type: 'file' | 'dir' | 'symlink';
  sha256?: string;
  size?: number;
  mode?: string;
  target?: string;
}
export interface ArchiveRow {
  id: string;
  kind: 'hotfix' | 'update';
  product: string;
  release: string;
  level: number;
  to_level: number | null;
  security: boolean;
  customer_id: string | null;
  title: string;
  severity: string;
  sha256: string;
  size: number;
  digest: string;
  signer: string | null;
  includes: string[];
  uploaded_by: string;
  created_at: string;
  manifest?: {
    description?: string;
    entries?: { path: string; op: string; before: FileNode | null; after: FileNode | null }[];
    requires?: string[];
    supersedes?: string[];
    createdAt?: string;
  };
}

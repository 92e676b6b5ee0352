/**
 * What a symbolic link of the image becomes in a target directory DST. DST
 * stands for one directory of the image, `root`: the image root for
 * `--path /:DST`, `usr/bin` for `--path /usr/bin/:DST`, `--path
 * /usr/bin/o*:DST` or `--file /usr/bin/oc`. A link at image path
 * `root/REL` is written at `DST/REL`.
 *
 * - An absolute target names a path of the image (a container runtime reads
 *   it root-relative). Its `.` and `..` are resolved against the image root,
 *   never climbing above it (`/../../etc/passwd` is `/etc/passwd`), and the
 *   link is written relative, reaching the same image path inside DST: at
 *   `usr/bin/foo` with root `/`, `/etc/alternatives/foo` becomes
 *   `../../etc/alternatives/foo` and `/` becomes `../..`. When that path is
 *   not under `root` (outside what DST stands for), the link cannot be
 *   written inside DST: it is `outside`, and the caller leaves it out with a
 *   warning.
 * - A relative target is kept as written unless it climbs above DST
 *   (`refused`: that is what hostile layers do) or has a `..` after a name,
 *   which is rewritten without it (`a/..` leaves DST when `a` is a link to
 *   `.`, however `a/b/..` looks on paper).
 *
 * So every link written is some leading `..` (through the real directories
 * that hold it, never above DST) followed by names, and no chain of such
 * links reaches outside DST.
 */

export type LinkPlan =
  /** Write the link with this target text. */
  | { readonly kind: 'write'; readonly text: string }
  /** An absolute target whose image path (`/…`) is not under the directory DST stands for. */
  | { readonly kind: 'outside'; readonly imagePath: string }
  /** Never written: `why` completes "refusing symbolic link /P -> T: …". */
  | { readonly kind: 'refused'; readonly why: string };

const parts = (p: string): string[] => p.split('/').filter((x) => x !== '' && x !== '.');

/** The relative link text from directory `from` to `to` (both DST-relative, as component lists). */
function relative(from: readonly string[], to: readonly string[]): string {
  let i = 0;
  while (i < from.length && i < to.length && from[i] === to[i]) i++;
  const out = [...from.slice(i).map(() => '..'), ...to.slice(i)];
  return out.length === 0 ? '.' : out.join('/');
}

/**
 * The plan for a link at DST-relative `rel` (non-empty) with `target` as
 * stored in the layer, DST standing for image directory `root` ('' = the
 * image root; normalized, no leading `/`).
 */
export function planLink(rel: string, target: string, root: string): LinkPlan {
  if (target === '') return { kind: 'refused', why: 'it names no target' };
  if (target.includes('\0')) return { kind: 'refused', why: 'its target holds a NUL byte' };
  const dir = parts(rel).slice(0, -1);
  if (target.startsWith('/')) {
    const image: string[] = [];
    for (const p of parts(target)) {
      if (p === '..') image.pop();
      else image.push(p);
    }
    const top = parts(root);
    if (top.some((p, i) => image[i] !== p)) return { kind: 'outside', imagePath: `/${image.join('/')}` };
    return { kind: 'write', text: relative(dir, image.slice(top.length)) };
  }
  const at = [...dir];
  let names = 0;
  let rewrite = false;
  for (const p of parts(target)) {
    if (p !== '..') {
      at.push(p);
      names++;
    } else if (at.length === 0) return { kind: 'refused', why: 'it points outside the target directory' };
    else {
      at.pop();
      if (names > 0) {
        names--;
        rewrite = true;
      }
    }
  }
  return { kind: 'write', text: rewrite ? relative(dir, at) : target };
}

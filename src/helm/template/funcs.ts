/** The function map Helm gives templates: Go's built-ins, sprig (minus `env`/`expandenv`, which Helm removes) and Helm's own. */
import type { FuncMap, TemplateFunc } from './exec.js';
import { COLLECTION_FUNCS } from './funcs-collections.js';
import { CORE_FUNCS } from './funcs-core.js';
import { HELM_FUNCS } from './funcs-helm.js';
import { MORE_FUNCS } from './funcs-more.js';
import { STRING_FUNCS } from './funcs-strings.js';

export function helmFuncs(): FuncMap {
  return new Map<string, TemplateFunc>([...CORE_FUNCS, ...STRING_FUNCS, ...COLLECTION_FUNCS, ...HELM_FUNCS, ...MORE_FUNCS]);
}

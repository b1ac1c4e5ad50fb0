import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var o=["deploy","promote","rollback","diff","cleanup"],e="abandon";export{o as a,e as b};
//# sourceMappingURL=chunk-XEHCQICX.js.map

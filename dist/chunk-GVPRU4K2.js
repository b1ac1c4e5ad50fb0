import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a,b}from"./chunk-CDGC7QOB.js";import"./chunk-Q5YTH4VN.js";import"./chunk-PUUT4BN2.js";import"./chunk-QEK5IVH2.js";import"./chunk-YTEOXTLI.js";export{a as exec,b as getExecOutput};
//# sourceMappingURL=chunk-GVPRU4K2.js.map

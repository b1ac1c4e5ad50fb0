import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a as e,b as r}from"./chunk-YTEOXTLI.js";var p=r((s,i)=>{i.exports=e("node:os")});var q=r((t,o)=>{o.exports=e("node:fs")});export{p as a,q as b};
//# sourceMappingURL=chunk-QEK5IVH2.js.map

import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a as e,b as r}from"./chunk-YTEOXTLI.js";var p=r((s,i)=>{i.exports=e("node:events")});var q=r((t,o)=>{o.exports=e("node:assert")});export{p as a,q as b};
//# sourceMappingURL=chunk-PUUT4BN2.js.map

import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a as e,b as r}from"./chunk-YTEOXTLI.js";var p=r((s,i)=>{i.exports=e("node:path")});var q=r((t,o)=>{o.exports=e("node:child_process")});export{p as a,q as b};
//# sourceMappingURL=chunk-Q5YTH4VN.js.map

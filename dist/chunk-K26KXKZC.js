import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a as e,b as r}from"./chunk-YTEOXTLI.js";var s=r((a,i)=>{i.exports=e("node:http")});var t=r((b,o)=>{o.exports=e("node:https")});var u=r((c,p)=>{p.exports=e("node:net")});var x=r((d,q)=>{q.exports=e("node:tls")});export{s as a,t as b,u as c,x as d};
//# sourceMappingURL=chunk-K26KXKZC.js.map

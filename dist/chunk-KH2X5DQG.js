import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a as r,b as i}from"./chunk-YTEOXTLI.js";var o=i((p,e)=>{e.exports=r("node:util")});export{o as a};
//# sourceMappingURL=chunk-KH2X5DQG.js.map

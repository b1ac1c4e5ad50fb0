import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a,b,c,d,e,f,g,h,i,j,k}from"./chunk-Y7FWSWT4.js";import"./chunk-YTEOXTLI.js";export{a as SUMMARY_MAX_BYTES,g as closeOpenFence,k as codeBlock,d as escapeTableCell,c as formatDuration,e as markdownTable,b as newReport,h as renderMarkdown,j as skipStage,i as timeStage,f as truncateToBytes};
//# sourceMappingURL=chunk-5UC32UZ5.js.map

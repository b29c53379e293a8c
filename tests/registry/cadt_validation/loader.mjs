// Resolve hook for our CAD Trust validation harness (carbonbridge's own code).
// CAD Trust's sources are written for Babel: they import "./x" without ".js" and "../validations"
// for a directory's index.js. Node's ES module resolver does neither, so try those two forms.
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (!specifier.startsWith('.') || !context.parentURL) {
      throw error;
    }
    for (const candidate of [`${specifier}.js`, `${specifier}/index.js`]) {
      try {
        return await nextResolve(candidate, context);
      } catch {
        // try the next form
      }
    }
    throw error;
  }
}

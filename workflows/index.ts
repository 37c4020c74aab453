// Everything the worker bundles for the workflow sandbox.
export { collection } from './collection';
export { sweep } from './sweep';

/** Names every plain JavaScript object answers to: a lookup keyed by user text must not see them. */
export const OBJECT_PROPERTY_NAMES = [
  'constructor', '__proto__', 'prototype', 'hasOwnProperty', 'toString', 'valueOf', 'toLocaleString', 'isPrototypeOf',
  'propertyIsEnumerable', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
];

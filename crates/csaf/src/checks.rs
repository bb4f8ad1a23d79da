//! The mandatory tests of CSAF 2.0 section 6.1, on a parsed JSON document.

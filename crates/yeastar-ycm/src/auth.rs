//! placeholder
#[derive(Clone, Debug)]
pub struct YcmAuth;

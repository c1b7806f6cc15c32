// Command-line front end of XenLegacyGenerator (being written).

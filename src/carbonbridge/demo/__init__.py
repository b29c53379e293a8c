"""The synthetic demo region (a tourism county in Hainan): labelled synthetic everywhere."""

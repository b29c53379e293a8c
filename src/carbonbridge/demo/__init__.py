"""Synthetic demonstration data: a fictional tourism county ("Demo County / 示范县") with its
reporting organisations, facilities and three years of activity data. Every name and figure is
synthetic and labelled so; nothing here describes a real place or enterprise."""

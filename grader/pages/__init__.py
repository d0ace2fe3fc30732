"""What people read: feedback pages, the class report, score tables."""

"""How long ago something happened, in the few words the pages use."""


def age_words(seconds: int) -> str:
    """A short age: "just now", "45 s ago", "3 min ago", "2 h ago", "4 days ago"."""
    if seconds < 5:
        return "just now"
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min ago"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} h ago"
    days = round(seconds / 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"
